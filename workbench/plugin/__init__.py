"""Entry points inside the FiftyOne App: the Palette plugin (``palette/``).

FiftyOne loads ``palette/`` from its plugins directory (see
:mod:`workbench.glue.plugins`); its panel and operators call the public ``workbench`` API
and draw what it returns, as thin as the command line.
"""
