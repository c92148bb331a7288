"""Services: the only writers (DESIGN.md section 3). Plain functions `<entity>_<action>(*, actor, ...)`."""
