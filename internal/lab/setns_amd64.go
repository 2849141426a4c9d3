package lab

const sysSetns uintptr = 308
