"""reelforge.credits"""
