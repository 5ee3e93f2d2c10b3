"""Identity and access: who is calling (verified bearer tokens) and what each role may do."""
