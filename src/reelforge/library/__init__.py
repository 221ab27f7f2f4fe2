"""reelforge.library"""
