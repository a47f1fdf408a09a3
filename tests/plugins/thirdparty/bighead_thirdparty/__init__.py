"""A third party's jupyter-bighead plugins, one of each family, written against the
public plugin interfaces only (as a separate package would be). The tests put this
folder, with its ``bighead_thirdparty-0.1.dist-info`` (entry points), on ``sys.path``."""
