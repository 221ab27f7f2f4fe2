"""reelforge.admin"""
