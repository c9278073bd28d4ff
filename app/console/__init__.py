"""The web console (/ui/): server-rendered pages over the API's reads, for people in a browser.

`web.py` (templates, rendering, errors as pages, static files), `access.py` (who reads: the
API's auth, a token from the sign-in cookie), one module of routes per area (`*_pages.py`),
`search.py` with `trigrams.py`, `chart.py` (runs per day as SVG). Mounted by `app/main.py`.
"""
