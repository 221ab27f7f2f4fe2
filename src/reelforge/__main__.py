from reelforge.cli import app

app()
