"""The functions' code, deployed in one package per kind of function: the stage functions, the
imaging functions, the web function (`handlers.contract.PACKAGES` says which function is which kind,
`PACKAGE_SOURCES` what of this folder each package carries; components/package.py builds them).

In a function's process, importing it first pauses Python's garbage collector until the first call's
setup is done, the function's other imports included (handlers/runtime/gc_pause.py says why).
"""

from handlers.runtime import gc_pause

gc_pause.pause()
