"""reelforge.youtube"""
