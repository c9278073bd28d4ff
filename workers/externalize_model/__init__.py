"""The builtin `externalize-model`: `python -m workers.externalize_model`.

It copies the active model version into the tables of the builtin `ecoplane_model` datastore
(`out_externalize_model.<table>`), so workspaces can sink the model like any other data.
"""
