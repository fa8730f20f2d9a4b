"""The instances tier on one machine: each instance the auto-scaling group wants is a local process
booted from the launch template's own user data, with stand-ins only for what needs EC2."""
