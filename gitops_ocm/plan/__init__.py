"""What a change of the desired state does to the fleet: ``gitops-ocm plan``.

Pure. :mod:`~gitops_ocm.plan.compare` compares two rendered hub trees and their
scheduling results; :mod:`~gitops_ocm.plan.report` prints the comparison as
text, a pull-request comment (markdown) or JSON.
"""
