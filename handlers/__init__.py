"""The functions' code, deployed in one package per kind of function (`handlers.contract.PACKAGES`:
the stage functions, the imaging functions, the web function; components/package.py builds them).

In a function's process, importing it first pauses Python's garbage collector until the first call's
setup is done, the function's other imports included (handlers/collector.py says why).
"""

from handlers import collector

collector.pause()
