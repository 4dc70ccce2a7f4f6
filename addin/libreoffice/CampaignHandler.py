"""The 活动汇总 toolbar's handler inside LibreOffice: org.campaignreport.calc:<command> URLs.

LibreOffice loads this file as a Python UNO component (see ProtocolHandler.xcu). A
button press dispatches its URL on the document's frame; the handler takes the
document from that frame and runs the macro of the same name in
campaign_report.macros, the functions the Excel buttons and the command line use.

The product lives in the Python environment it was installed into, not in
LibreOffice's. ``campaign-report setup-libreoffice`` writes those folders into
product-paths.json beside this file; they go in front of sys.path before the import.
"""

import json
import os
import sys

import uno
import unohelper
from com.sun.star.frame import XDispatch, XDispatchProvider
from com.sun.star.lang import XInitialization, XServiceInfo

PROTOCOL = "org.campaignreport.calc:"
IMPLEMENTATION = "org.campaignreport.calc.ProtocolHandler"
SERVICES = ("com.sun.star.frame.ProtocolHandler",)
PATHS_FILE = "product-paths.json"
NOT_INSTALLED = (
    "找不到 campaign-report（活动汇总）程序。请在命令行运行 "
    "campaign-report setup-libreoffice 重新安装本扩展，然后重启 LibreOffice。"
)


def _use_product_paths():
    """Put the product's folders, as setup-libreoffice recorded them, in front of sys.path."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        with open(os.path.join(here, PATHS_FILE), encoding="utf-8") as file:
            paths = json.load(file)
    except (OSError, ValueError):
        return
    for path in reversed(paths):
        if path not in sys.path:
            sys.path.insert(0, path)


def _message(ctx, frame, text):
    toolkit = ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.Toolkit", ctx)
    kind = uno.Enum("com.sun.star.awt.MessageBoxType", "ERRORBOX")
    box = toolkit.createMessageBox(frame.ContainerWindow, kind, 1, "活动汇总", text)
    box.execute()
    box.dispose()


class CampaignHandler(unohelper.Base, XDispatchProvider, XDispatch, XInitialization, XServiceInfo):
    """A dispatch provider for the toolbar's URLs, and the dispatch that runs them."""

    def __init__(self, ctx, *args):
        self.ctx = ctx
        self.frame = None

    # XInitialization: the frame the toolbar belongs to
    def initialize(self, args):
        if args:
            self.frame = args[0]

    # XDispatchProvider
    def queryDispatch(self, url, target, flags):
        return self if url.Protocol == PROTOCOL else None

    def queryDispatches(self, requests):
        return tuple(self.queryDispatch(r.FeatureURL, r.FrameName, r.SearchFlags) for r in requests)

    # XDispatch
    def dispatch(self, url, args):
        _use_product_paths()
        try:
            from campaign_report.adapters.uno_book import run_command
        except ImportError:
            _message(self.ctx, self.frame, NOT_INSTALLED)
            return
        run_command(self.frame.Controller.Model, url.Path, self.ctx)

    def addStatusListener(self, listener, url):
        pass

    def removeStatusListener(self, listener, url):
        pass

    # XServiceInfo
    def getImplementationName(self):
        return IMPLEMENTATION

    def supportsService(self, name):
        return name in SERVICES

    def getSupportedServiceNames(self):
        return SERVICES


g_ImplementationHelper = unohelper.ImplementationHelper()
g_ImplementationHelper.addImplementation(CampaignHandler, IMPLEMENTATION, SERVICES)
