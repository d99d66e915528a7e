"""Governed jobs: training and aging requests that the gate controls from submission to output."""
