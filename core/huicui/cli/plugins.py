"""``huicui plugins``: installed benefit plugins, their benefits and hooks, and failures."""

from __future__ import annotations

import argparse
import sys

import msgspec

EPILOG = """\
examples:
  huicui plugins                 列出插件与权益 / list plugins and their benefits
  huicui plugins --json          机器可读 / machine-readable report
  HUICUI_PLUGINS_BLOCKED=name1,name2 huicui plugins   不加载这些入口点 / as if blocked

Exit status: 0 all plugins loaded, 1 some were left out (listed), 2 start-up refused
(two plugins claim one code or slug, or a bad [benefits.<slug>] setting).
"""


def plugins_cmd(args: argparse.Namespace) -> int:
    from huicui_verifier.policy import describe_effect

    from huicui.plugins.manager import BenefitPlugins
    from huicui.settings import load_settings

    plugins = BenefitPlugins.load(load_settings())
    report = plugins.report()
    if args.json:
        out = {
            **msgspec.to_builtins(report),
            "benefits": msgspec.to_builtins(plugins.benefits()),
        }
        print(msgspec.json.format(msgspec.json.encode(out), indent=2).decode())
        return 1 if report.failed else 0
    print(
        f"插件 / plugins: {len(report.loaded)} 已加载 loaded, {len(report.failed)} 未加载 failed; "
        f"权益 / benefits: {len(plugins.benefit_codes())}"
    )
    for plugin in report.loaded:
        print(f"\n{plugin.name}  {plugin.distribution} {plugin.version}  ({plugin.module})")
        print(f"  hooks: {', '.join(plugin.hooks) or '-'}")
        for code in plugin.benefits:
            info = plugins.benefit(code)
            assert info is not None
            _, effect_en = describe_effect(info.policy)
            limits = ", ".join(
                f"{lim.count}/{lim.per}" + ("/venue" if lim.scope == "venue" else "")
                for lim in info.policy.limits
            )
            print(
                f"  benefit {info.code:>2} {info.slug:<12} {info.name_zh} / {info.name_en}"
                f" — {effect_en}{'; ' + limits if limits else ''}"
            )
    if report.failed:
        print("\n未加载 / left out:", file=sys.stdout)
        for failure in report.failed:
            print(f"  {failure.label} [{failure.stage}]: {failure.reason}")
    for warning in report.warnings:
        print(f"\n注意 / warning: {warning}")
    return 1 if report.failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plugins",
        help="权益插件 / benefit plugins",
        description="列出已安装的权益插件及其权益、配置和未加载的原因 / "
        "List benefit plugins found through the huicui.benefits entry points: "
        "distribution and version, the hooks each implements, the benefits each declares "
        "(with the [benefits.<slug>] overrides applied), and those left out with the reason.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true",
                   help="以 JSON 输出报告，供脚本使用 / print the report as JSON, for scripts")
    p.set_defaults(func=plugins_cmd)
