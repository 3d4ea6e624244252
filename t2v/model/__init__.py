"""The networks: the text encoder, the layered generator cut by job, the video discriminator, the seed
baseline, their bounds and the checkpoint file. Never imports the data package."""
