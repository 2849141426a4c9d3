package lab

const sysSetns uintptr = 268
