"""The autograder: turn submitted notebooks into trusted programs, run them and grade them."""
