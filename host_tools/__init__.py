"""host_tools"""
