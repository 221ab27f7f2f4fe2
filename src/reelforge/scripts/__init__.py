"""reelforge.scripts"""
