"""What a deploy leaves behind, for whoever serves or inspects it: the stack's state (every resource
made, its outputs) and the loopback ports its resources hold. The replay deployer (harness/deploy)
writes them; the CDN edge (harness/edge) and the CLI read them. Neither of those imports the other
for it."""
