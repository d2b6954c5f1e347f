# Never finishes on its own: the run must time out.
sleep 100000
