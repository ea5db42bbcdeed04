CREATE DATABASE complaints OWNER qcr;
