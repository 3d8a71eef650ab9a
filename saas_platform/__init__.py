"""The ground module: what every domain package may use and nothing above it may bend.

Money quantizing (`money.py`) and the base domain error (`errors.py`). It imports no other
package of the project. (The design calls the platform package `platform/`, but a package
named `platform` shadows Python's standard module, so it is `saas_platform/`.)
"""
