echo three
exit 3
