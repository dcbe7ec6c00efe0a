"""GraphiQL served entirely from local assets, so it works with no internet access."""

from __future__ import annotations

from functools import cache
from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent.parent / "web" / "graphiql"

# Subresource-integrity hashes of the vendored files (the same values strawberry pins for unpkg)
_SRI = {
    "react.production.min.js": "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    "react-dom.production.min.js": "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    "graphiql.min.js": "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    "graphiql.min.css": "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    "plugin-explorer.umd.js": "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    "plugin-explorer.css": "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
}

_DEFAULT_QUERY = """# Welcome to Aperture's GraphiQL.
#
# 1. Run the signIn mutation below (the demo password is printed at startup).
# 2. Copy the token into the Headers tab: {"Authorization": "Bearer <token>"}
# 3. Ask for your home timeline:
#
#   { viewer { username homeTimeline(first: 10) { edges { node { caption author { username } } } } } }
#
# Subscriptions use the same Authorization header as their connection_init payload.

mutation SignIn {
  signIn(username: "alice", password: "aperture-demo") {
    token
    errors { code message }
  }
}
"""

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Aperture GraphiQL</title>
  <style>body{{margin:0;height:100vh}}#graphiql{{height:100vh}}</style>
  <link rel="stylesheet" href="{base}graphiql.min.css" integrity="{sri_css}">
  <link rel="stylesheet" href="{base}plugin-explorer.css" integrity="{sri_explorer_css}">
  <script src="{base}react.production.min.js" integrity="{sri_react}"></script>
  <script src="{base}react-dom.production.min.js" integrity="{sri_react_dom}"></script>
  <script src="{base}graphiql.min.js" integrity="{sri_graphiql}"></script>
  <script src="{base}plugin-explorer.umd.js" integrity="{sri_explorer}"></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script>
  const url = window.location.href.split("?")[0];
  const wsUrl = url.replace(/^http/, "ws");
  // The headers tab also authenticates subscriptions: they go into connection_init.
  function fetcher(params, options) {{
    const headers = (options && options.headers) || {{}};
    return GraphiQL.createFetcher({{
      url: url,
      subscriptionUrl: wsUrl,
      wsConnectionParams: headers,
    }})(params, options);
  }}
  const explorer = GraphiQLPluginExplorer.explorerPlugin();
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {{
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: {default_query},
      defaultHeaders: '{{"Authorization": "Bearer "}}',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: true,
    }})
  );
</script>
</body>
</html>
"""


@cache
def graphiql_html(asset_base: str) -> str:
    import json  # noqa: PLC0415

    return _TEMPLATE.format(
        base=asset_base,
        default_query=json.dumps(_DEFAULT_QUERY),
        sri_css=_SRI["graphiql.min.css"],
        sri_explorer_css=_SRI["plugin-explorer.css"],
        sri_react=_SRI["react.production.min.js"],
        sri_react_dom=_SRI["react-dom.production.min.js"],
        sri_graphiql=_SRI["graphiql.min.js"],
        sri_explorer=_SRI["plugin-explorer.umd.js"],
    )
