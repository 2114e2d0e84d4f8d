"""The site wing: the build machinery (build, execution, executors, kernels, the execution cache,
pipeline), the PDF (printbook), the national page, publishing, golden values and the Sphinx
extensions. It may import every wing below it.
"""
