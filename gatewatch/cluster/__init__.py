"""City scale: the cameras of a config run as Ray actors over many machines, sharing one detector service.

Optional (``pip install 'gatewatch[ray]'``): only this package imports Ray, and nothing outside it imports
this package except the CLI's ``cluster`` command, lazily. Events go to one PostgreSQL database
(GATEWATCH_DATABASE_URL) whose writes are idempotent, so a camera restarted on another node never stores
a record twice. See README.md, "Running on a Ray cluster".
"""
