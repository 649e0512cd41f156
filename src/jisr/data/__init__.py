"""One module per family of data sets; each registers its loaders with
:func:`jisr.datasets.register`. Importing :mod:`jisr.datasets` finds them all."""
