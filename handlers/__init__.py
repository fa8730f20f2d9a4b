"""The functions' code: one package, deployed to every function of the stack (components/package.py).

In a function's process, importing it first pauses Python's garbage collector until the first call's
setup is done, the function's other imports included (handlers/collector.py says why).
"""

from handlers import collector

collector.pause()
