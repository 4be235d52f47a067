"""python -m stguard check ...: see stguard._cli."""
from ._cli import _entry

_entry()
