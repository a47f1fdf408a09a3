"""The team set-up: JupyterHub for jupyter-bighead (the top layer, beside the CLI).

- :mod:`.local`: ``jupyter bighead hub [DIR]``, a multi-user hub on one machine;
- :mod:`.postgres`: a throwaway PostgreSQL server (the local hub's shared registry and
  the store tests').
"""
