"""Huicui offline verifier: read HB1 certificates, decide offline, log, sync.

Public modules: ``hb1`` (the certificate format), ``bundle`` (the signed bundle),
``policy`` (redemption policy and its evaluator), ``decide`` (the offline decision),
``log`` (the durable decision log), ``records`` (sync wire shapes), ``sync`` (HTTP
client), ``image`` (QR images), ``cli`` (``huicui-verify``).
"""

__version__ = "0.1.0"
