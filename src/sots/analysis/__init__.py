"""The analysis wing: the measures and methods (demand, finance, benchmark, budget, quality), the
claims register and its verdicts, the assumptions and the recorded results. It imports only the
base and the inputs.
"""
