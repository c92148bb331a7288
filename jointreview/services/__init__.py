"""Services: the only writers (docs/architecture.md §3). Plain functions `<entity>_<action>(*, actor, ...)`."""
