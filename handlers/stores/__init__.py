"""Where the functions keep what they know, each store over a boto3 DynamoDB client: the image
records (`image_store`, their fields in `image_record`), the people who sign in (`user_store`),
sign-in attempts per name (`lockouts`) and owners' addresses (`addresses`), the last three in the
users table. Standard library and boto3 only: every function's package carries them."""
