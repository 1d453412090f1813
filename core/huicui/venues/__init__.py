"""Partners (operators), their venues, and the devices enrolled at each venue."""
