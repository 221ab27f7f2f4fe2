"""reelforge.legacy"""
