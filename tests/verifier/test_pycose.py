"""A partner's gate verifies HB1 with a stock COSE library and only the published key."""

from importlib.metadata import version

import cbor2
import pytest
from huicui_verifier import base45

pycose = pytest.importorskip("pycose")

pytestmark = pytest.mark.skipif(
    int(version("cbor2").split(".")[0]) >= 6,
    reason="pycose 1.1 cannot decode under cbor2 6 (tagged arrays come back as tuples)",
)


def test_pycose_verifies_hb1(gen):
    from pycose.keys import OKPKey
    from pycose.keys.curves import Ed25519
    from pycose.messages import Sign1Message

    text = gen.make_cert()
    message = Sign1Message.decode(base45.decode(text[len("HB1:") :]))
    message.key = OKPKey(crv=Ed25519, x=gen.raw_key(gen.ISSUER))
    assert message.verify_signature()
    assert message.phdr_encoded or message.phdr
    claims = cbor2.loads(message.payload)
    assert claims[1] == "BH" and claims[-65537][1] == "李晓明"

    message.key = OKPKey(crv=Ed25519, x=gen.raw_key(gen.STRANGER))
    assert not message.verify_signature()
