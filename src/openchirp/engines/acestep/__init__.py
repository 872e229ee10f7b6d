"""ACE-Step 1.5 through diffusers' ``AceStepPipeline``, from a local model folder."""
