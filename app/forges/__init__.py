"""Pull requests of the model repository get a verdict: forge clients, the verdict, the checks."""
