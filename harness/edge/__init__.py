"""The harness's CDN edge: serves each CloudFront distribution the replay deployer recorded (harness/
deploy/provisioners/cloudfront.py) on its own loopback port, from its declared origins and behaviours,
since LocalStack community has no CloudFront. See harness/edge/README.md for what it does
differently from CloudFront."""
