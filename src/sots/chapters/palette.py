"""The book's colours, in one place: the charts (:mod:`sots.chapters.charts`) and the claims page's status badges
(:mod:`sots.chapters.statuses`) draw from them, so a status or the focal ICB looks the same in a chart and in the
text."""

# The highlight: the focal ICB, or the one series a chart's subtitle names, always in NHS blue; everything else it is
# set against in NHS mid grey. Against white the blue is 6.4:1 and the grey 3.8:1, above WCAG 1.4.11's 3:1 for
# graphics; the focal ICB is also labelled in text, so colour is never the only cue.
FOCAL = "#005EB8"
OTHERS = "#768692"
REFERENCE = "#231F20"  # near-black: England and claimed-rank rules, value labels
# Colours for categories (age bands, women and men, the parts of a stack, claim statuses), from Okabe and Ito's
# palette for colour-blind readers (2008). Its orange, sky blue and yellow are under 3:1 against white, so they are
# left out; its blue is left out because it reads as FOCAL, which means "the focal ICB" in every chart. Plum is its
# reddish purple darkened until it stays apart from bluish green and grey for deuteranopes (a claim status needs four
# colours). tests/unit/test_chart_colours.py checks every chart's colours under simulated colour blindness.
PALETTE = {
    "vermillion": "#D55E00",
    "bluish green": "#009E73",
    "reddish purple": "#CC79A7",
    "plum": "#843260",
}
CATEGORICAL = (PALETTE["vermillion"], PALETTE["bluish green"], PALETTE["reddish purple"])  # series, in this order
