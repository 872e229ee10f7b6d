"""The client APIs OpenChirp speaks, one module or package each (``base.Dialect`` says what one
owns); ``registry`` lists the built-in ones and loads those named in ``OPENCHIRP_DIALECTS``."""
