"""t2v: a text-to-video GAN trained from scratch on generated clips of moving shapes."""

__version__ = "0.1.0"
