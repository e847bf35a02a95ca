"""``leds synth``: a synthetic national population, as updategram files, with ground truth.

Real police data can never be in this repository.  This package generates people who
look like the population of England and Wales, records each of them in one to four
police systems with the variations real systems introduce, and writes the truth
(which records are the same person, which look alike but are not) beside the files so
that matching can be measured.  See ``docs/synth.md``.
"""

from .generator import SynthReport, generate
from .rates import RATE_NAMES, VARIATION_NAMES, VariationRates

__all__ = ["RATE_NAMES", "VARIATION_NAMES", "SynthReport", "VariationRates", "generate"]
