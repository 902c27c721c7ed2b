"""``workbench plugin``: the Palette plugin for App sessions people start themselves."""

from __future__ import annotations

import argparse

from .base import CommandResult


def _cmd_install(args: argparse.Namespace) -> CommandResult:
    from ..glue.plugins import PLUGIN_NAME, install_plugin, plugin_folder

    link = install_plugin(args.plugins_dir)
    return CommandResult(
        {"plugin": PLUGIN_NAME, "link": str(link), "target": str(plugin_folder())},
        f"linked {PLUGIN_NAME} into {link.parent} ({link.name} -> {plugin_folder()}); "
        "restart any running App to see the Palette panel"
        + ("" if args.plugins_dir is None else
           f"\nFiftyOne finds it when FIFTYONE_PLUGINS_DIR={link.parent}"))


def _cmd_status(args: argparse.Namespace) -> CommandResult:
    from ..glue.plugins import PLUGIN_NAME, plugin_status

    status = plugin_status()
    text = (f"{PLUGIN_NAME} is registered in {status['plugins_dir']} ({status['where']})"
            if status["registered"] else
            f"{PLUGIN_NAME} is not in {status['plugins_dir']}: {status['fix']}")
    return CommandResult(status, text, 0 if status["registered"] else 1)


def register(sub) -> None:
    p = sub.add_parser("plugin", help="the Palette plugin for the FiftyOne App "
                                      "(install: into your plugins_dir; status)")
    actions = p.add_subparsers(dest="plugin_command", required=True, metavar="ACTION",
                               help="install: link it into your plugins_dir; status: is it "
                                    "registered", parser_class=type(p))
    install = actions.add_parser("install", help="link the plugin into your FiftyOne "
                                                 "plugins_dir")
    install.add_argument("--plugins-dir", default=None,
                         help="the plugins directory (default: FiftyOne's plugins_dir, "
                              "FIFTYONE_PLUGINS_DIR)")
    status = actions.add_parser("status", help="whether FiftyOne finds the plugin")
    for action, func in ((install, _cmd_install), (status, _cmd_status)):
        action.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                            help="print one JSON object on stdout; human text goes to stderr")
        action.set_defaults(func=func, command=f"plugin {action.prog.split()[-1]}")
