"""The inputs wing: reading the publishers' files (prepare, layouts), the prepared tables (data, schema,
slices), the editions register and the ICBs' codes and names. It imports only the base.
"""
