"""Every lesson's exercise rules; importing this package registers them all.

One module per lesson (`lesson01_requires_grad.py`, ...): adding a file is all it takes.
"""
import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    importlib.import_module(f"{__name__}.{_info.name}")
