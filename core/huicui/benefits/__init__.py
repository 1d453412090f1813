"""The installed benefits: the catalogue staff read and who is eligible for what."""
