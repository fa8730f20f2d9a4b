"""An operator's view of a deployed stack and its repair: `python -m harness status` and `redrive`.

`stack` says which stack (the local one from its outputs, or an AWS one from the outputs file of
`pulumi stack output --json`, with the caller's credentials) and which queues and functions each
stage has; `status` reads the queues, the alarms and the functions' errors; `redrive` moves what a
stage's dead-letter queue holds back to its queue, and `stream_redrive` does the same for the notify
stage, whose parked items describe stream records rather than hold messages. Each takes boto3
clients and the stack's outputs and returns dataclasses; the command line (harness/cli.py) prints.
"""
